// A plain Node request listener: the same (req, res) shape Express, Connect and node:http use.
// No listen() call: tsgid owns the socket and hands connections to this worker.

let served = 0;

export default function greeter(req, res) {
  served += 1;
  const name = new URL(req.url, 'http://x').searchParams.get('name') ?? 'world';
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`hi ${name}, from worker pid ${process.pid} (request ${served} here)\n`);
}

// Lifecycle hooks are optional: open pools in onStart, close them in onShutdown.
export function onStart() {
  console.log(`greeter ready in pid ${process.pid}`);
}

export function onShutdown() {
  console.log(`greeter pid ${process.pid} served ${served} request(s); bye`);
}
