import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ALERT_RULES } from '../../lambdas/shared/alert-rules';
import { CONTEXT_KEYS, DEFAULT_LIFECYCLE, DEFAULT_TRAIL_NAME } from '../../lib/config';

const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

function section(name: string): string {
  const match = new RegExp(
    `<!-- section:${name} \\(owner: stack\\) -->([\\s\\S]*?)<!-- /section:${name} -->`,
  ).exec(README);
  if (match?.[1] === undefined) throw new Error(`README has no section ${name}`);
  return match[1];
}

describe('README', () => {
  it('lists every context option in the options table', () => {
    // Act
    const options = section('options');

    // Assess
    const documented = CONTEXT_KEYS.filter((key) => new RegExp(`^\\| \`${key}\` +\\|`, 'm').test(options));
    expect(documented).toEqual([...CONTEXT_KEYS]);
  });

  it('states the defaults the code uses', () => {
    // Act
    const options = section('options');

    // Assess
    for (const [key, days] of Object.entries(DEFAULT_LIFECYCLE)) {
      expect(options).toMatch(new RegExp(`^\\| \`${key}\` +\\| \`${days}\``, 'm'));
    }
    expect(options).toMatch(new RegExp(`^\\| \`trailName\` +\\| \`${DEFAULT_TRAIL_NAME}\``, 'm'));
  });

  it('documents MFA Delete as a manual step with the root-only CLI command', () => {
    // Act
    const deploy = section('deploy');

    // Assess
    expect(deploy).toContain('MFA Delete');
    expect(deploy).toContain('MFADelete=Enabled');
    expect(deploy).toContain('root user');
  });

  it('has an architecture diagram and a cost estimate for a quiet and a busy account', () => {
    // Assess
    expect(section('architecture')).toContain('```mermaid');
    expect(section('cost')).toMatch(/Quiet[\s\S]*Busy/);
  });

  it('lists every default alert rule with its severity and source', () => {
    // Act
    const alerts = section('alerts');

    // Assess
    for (const rule of DEFAULT_ALERT_RULES) {
      const row = alerts.split('\n').find((line) => line.startsWith(`| \`${rule.id}\``));
      expect(row).toBeDefined();
      expect(row).toContain(`| ${rule.severity} `);
      expect(row).toContain(rule.source);
    }
  });
});
