// The CLI adopts the lifetimes a running server recorded: a key it rotates stays published as long as
// the server's ID tokens and sessions need, whatever the CLI's own defaults are.
import { expect } from 'chai';

import { adoptServerSettings, settingsToRecord } from '../../src/config/server-settings.js';
import { testConfig } from '../helpers/test-config.js';

describe('server settings adopted by the CLI', () => {
  const server = testConfig({ ID_TOKEN_TTL: '20', SESSION_TTL: '7200', KEY_RETENTION_MARGIN: '0', ACCESS_TOKEN_TTL: '120' });
  const cli = testConfig();

  it('takes the server\'s ID token and session lifetimes and key retention margin when its environment is silent', () => {
    const { config, differing } = adoptServerSettings(cli, {}, settingsToRecord(server));
    expect(config.ttl).to.include({ idToken: 20, session: 7200, accessToken: 120 });
    expect(config.keys.retentionMargin).to.equal(0);
    expect(differing).to.deep.equal([]);
  });

  it('keeps a value its own environment set, and reports the difference', () => {
    const own = testConfig({ SESSION_TTL: '600' });
    const { config, differing } = adoptServerSettings(own, { SESSION_TTL: '600' }, settingsToRecord(server));
    expect(config.ttl.session).to.equal(600);
    expect(differing).to.deep.include({ variable: 'SESSION_TTL', own: '600', server: '7200' });
  });
});
