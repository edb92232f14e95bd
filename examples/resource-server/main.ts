// Runs the example API: see examples/resource-server/README.md.
import { createResourceServer } from './app.js';

const env = process.env;
const port = Number(env.PORT ?? 4000);
const app = createResourceServer({
  issuer: (env.ISSUER ?? 'http://localhost:3000').replace(/\/+$/, ''),
  audience: env.API_IDENTIFIER ?? 'https://api.example.com',
  mode: env.VALIDATION === 'introspection' ? 'introspection' : 'jwks',
  introspectionClient:
    env.INTROSPECTION_CLIENT_ID && env.INTROSPECTION_CLIENT_SECRET
      ? { clientId: env.INTROSPECTION_CLIENT_ID, clientSecret: env.INTROSPECTION_CLIENT_SECRET }
      : undefined,
  baseUrl: env.BASE_URL,
});
app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`Example API listening on http://127.0.0.1:${port} (validation: ${env.VALIDATION ?? 'jwks'})\n`);
});
