/**
 * A reload's boots, paced: at most the limit booting at once, never past the target, and at least
 * one at a time on any host.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reloadBootLimit, reloadSpawns } from '../daemon/pool/reload-pace.js';

const w = (state: 'starting' | 'ready') => ({ state });

describe('reload pace', () => {
  it('half the CPUs boot at once, at least one', () => {
    assert.equal(reloadBootLimit(1), 1);
    assert.equal(reloadBootLimit(2), 1);
    assert.equal(reloadBootLimit(8), 4);
  });

  it('spawns up to the limit booting, and no more than the target', () => {
    assert.equal(reloadSpawns(2, [], 1), 1, 'the first of two');
    assert.equal(reloadSpawns(2, [w('starting')], 1), 0, 'waits while it boots');
    assert.equal(reloadSpawns(2, [w('ready')], 1), 1, 'the next once it is ready');
    assert.equal(reloadSpawns(2, [w('ready'), w('ready')], 1), 0, 'the target reached');
    assert.equal(reloadSpawns(8, [w('ready'), w('starting')], 4), 3);
    assert.equal(reloadSpawns(2, [], Infinity), 2, 'unbounded: the whole set at once');
  });
});
