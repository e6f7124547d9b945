// A fetch-style app in TypeScript, served with no build step: export an object with fetch().
// The same shape Hono, itty-router and other WinterCG-style frameworks export.

interface Greeting {
  message: string;
  pid: number;
  path: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/echo' && request.method === 'POST') {
      return new Response(await request.text(), { headers: { 'content-type': 'text/plain' } });
    }
    const body: Greeting = { message: 'hello from tsgi', pid: process.pid, path: url.pathname };
    return Response.json(body);
  },
};
