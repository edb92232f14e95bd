// `gatehouse keys ...`: the signing-key lifecycle (list, rotate) and re-encryption after a KEK rotation.
import { ConfigError } from '../../config/config.js';
import { SERVER_KEK_ID } from '../../config/server-settings.js';
import { presentSigningKey } from '../../presenters/signing-keys.js';
import { list, type Command } from '../command.js';
import { formatTable } from '../format.js';

const KEY_COLUMNS = ['kid', 'alg', 'state', 'activates_at', 'retired_at', 'remove_after', 'kek_id'];

export const keysListCommand: Command = {
  path: ['keys', 'list'],
  summary: 'List signing keys and their state (next, current, retired)',
  usage: [
    'gatehouse keys list [--json]',
    '',
    '  next     published in the JWKS, signs from activates_at',
    '  current  signs (one per algorithm)',
    '  retired  no longer signs; published until remove_after, when every token it signed has expired',
  ].join('\n'),
  options: {},
  async run(ctx) {
    const core = await ctx.core();
    const keys = (await core.signingKeys.listPublished()).map(presentSigningKey);
    return { json: { keys }, human: formatTable(keys, KEY_COLUMNS) };
  },
};

export const keysRotateCommand: Command = {
  path: ['keys', 'rotate'],
  summary: 'Publish a successor signing key now; it signs after the activation delay',
  usage: [
    'gatehouse keys rotate [--alg ALG]... [--now] [--json]',
    '',
    '  --alg ALG  rotate only this algorithm (default: every algorithm in use)',
    '  --now      the successor signs at once (a compromised key): verifiers that cached the JWKS',
    '             before it was published fail until they fetch it again',
    '',
    'Servers pick the change up without a restart. The old key keeps verifying until its tokens expire.',
  ].join('\n'),
  options: { alg: { type: 'string', multiple: true }, now: { type: 'boolean' } },
  async run(ctx, values) {
    const core = await ctx.core();
    const rotated = (await core.keyRotation.rotate({ algs: list(values.alg), immediately: values.now === true })).map(presentSigningKey);
    const when = rotated.map((k) => `${k.alg} key ${k.kid} signs from ${k.activates_at}`).join('\n');
    return { json: { rotated }, human: `Successor keys published.\n${when}` };
  },
};

export const keysRekeyCommand: Command = {
  path: ['keys', 'rekey'],
  summary: 'Re-encrypt everything under the first GATEHOUSE_KEK (after a KEK rotation)',
  usage: [
    'gatehouse keys rekey [--json]',
    '',
    'Set GATEHOUSE_KEK to "NEW,OLD" on every instance, run this, then remove OLD.',
  ].join('\n'),
  options: {},
  async run(ctx) {
    const core = await ctx.core();
    // Re-encrypting under any KEK but the server's would leave the server unable to read its own keys.
    const serverKek = (await core.repositories.serverSettings.readAll())[SERVER_KEK_ID];
    const ownKek = core.config.secrets.keks[0]!.id;
    if (serverKek && serverKek !== ownKek) {
      throw new ConfigError(
        `the server encrypts under KEK ${serverKek}, but this command's GATEHOUSE_KEK starts with ${ownKek}: run it with the server's GATEHOUSE_KEK ("NEW,OLD", the new one first)`,
      );
    }
    const result = await core.rekeying.rekey();
    const others = result.kekIdsInUse.filter((id) => id !== result.kekId);
    const counts = Object.entries(result.rewritten).map(([what, n]) => `${what}: ${n}`).join(', ');
    const human = others.length
      ? `Re-encrypted (${counts}). Still encrypted under ${others.join(', ')}: run again, or keep those KEKs configured.`
      : `Re-encrypted (${counts}). Everything is under KEK ${result.kekId}; the other KEKs can be removed from GATEHOUSE_KEK.`;
    return {
      json: { kek_id: result.kekId, rewritten: result.rewritten, kek_ids_in_use: result.kekIdsInUse, done: others.length === 0 },
      human,
    };
  },
};
