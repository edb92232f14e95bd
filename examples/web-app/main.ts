// Runs the example web app: see examples/web-app/README.md.
import { createWebApp } from './app.js';

const env = process.env;
const port = Number(env.PORT ?? 8080);
const required = (name: string) => {
  const value = env[name];
  if (!value) throw new Error(`set ${name} (see examples/web-app/README.md)`);
  return value;
};
const app = createWebApp({
  issuer: (env.ISSUER ?? 'http://localhost:3000').replace(/\/+$/, ''),
  clientId: required('CLIENT_ID'),
  clientSecret: required('CLIENT_SECRET'),
  baseUrl: env.BASE_URL ?? `http://localhost:${port}`,
  apiUrl: env.API_URL ?? 'http://127.0.0.1:4000',
  apiIdentifier: env.API_IDENTIFIER ?? 'https://api.example.com',
});
app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`Example web app on ${env.BASE_URL ?? `http://localhost:${port}`}\n`);
});
