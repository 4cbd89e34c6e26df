// The stage people see follows the service's progress names by lookup and never moves backwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextStage } from '../../src/jobs/stages.js';

describe('job stages', () => {
  it('maps every name the visualize service reports, in order', () => {
    const names = ['decode', 'analyse', 'embed', 'search', 'scan', 'plan', 'encode-quality', 'render'];
    const seen = [];
    let stage = nextStage('decode', 'downloading');
    for (const n of names) seen.push((stage = nextStage(n, stage)));
    assert.deepEqual(seen, ['analysing', 'analysing', 'analysing', 'matching', 'matching', 'matching', 'rendering', 'rendering']);
  });

  it('never moves back, and ignores names it does not know', () => {
    assert.equal(nextStage('index', 'matching'), 'matching');
    assert.equal(nextStage('embed', 'rendering'), 'rendering');
    assert.equal(nextStage('something new', 'analysing'), 'analysing');
  });
});
