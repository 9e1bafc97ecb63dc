import http from 'node:http';
import { gunzipSync } from 'node:zlib';

/**
 * The floor's PDVs: each on its own keep-alive agent, as pull-service, long-polls, inflates and parses the answer,
 * notes how long after the commit it arrived, and asks again at once.
 */
interface Setup {
  type: 'setup';
  ports: number[];
  pdvs: number;
  first: number;
  localAddress: string;
  /** One answer that stays open, a line per commit, instead of a request per wake. */
  stream: boolean;
}

const latencies: number[] = [];
let stopping = false;

function longPoll(agent: http.Agent, port: number, headers: Record<string, string>, localAddress: string): void {
  if (stopping) return;
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/changes/wait?tables=produto:1,preco_loja:1&wait=20000&limit=500', agent, headers, localAddress }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const answer = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as { committedAt: number };
      latencies.push(Date.now() - answer.committedAt);
      longPoll(agent, port, headers, localAddress);
    });
  });
  req.on('error', () => {
    if (!stopping) setTimeout(() => longPoll(agent, port, headers, localAddress), 100);
  });
  req.end();
}

function stream(agent: http.Agent, port: number, headers: Record<string, string>, localAddress: string): void {
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/changes/wait?tables=produto:1,preco_loja:1&stream=1', agent, headers: { ...headers, 'accept-encoding': 'identity' }, localAddress }, (res) => {
    let partial = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      const now = Date.now();
      for (const line of lines) latencies.push(now - (JSON.parse(line) as { committedAt: number }).committedAt);
    });
  });
  req.on('error', () => undefined);
  req.end();
}

process.on('message', (message: Setup | { type: 'stop' }) => {
  if (message.type === 'stop') {
    stopping = true;
    process.send!({ type: 'latencies', latencies }, () => process.exit(0));
    return;
  }
  for (let index = 0; index < message.pdvs; index++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const token = `pdv-${message.first + index}-`.padEnd(64, 'x');
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip', 'sync-contract': '2', 'sync-tokens': `produto=${'t'.repeat(150)}, preco_loja=${'t'.repeat(150)}` };
    const port = message.ports[(message.first + index) % message.ports.length]!;
    if (message.stream) stream(agent, port, headers, message.localAddress);
    else longPoll(agent, port, headers, message.localAddress);
  }
  process.send!({ type: 'ready' });
});
