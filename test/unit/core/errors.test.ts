import * as assert from 'assert';
import { ApiError, isApiError, kindForStatus } from '../../../src/core/errors';

describe('core/errors', () => {
  it('maps HTTP statuses to stable kinds', () => {
    assert.deepStrictEqual([400, 401, 403, 404, 415, 429, 500, 503].map(kindForStatus), [
      'badRequest',
      'unauthorized',
      'forbidden',
      'notFound',
      'badRequest',
      'rateLimited',
      'server',
      'server',
    ]);
  });
  it('recognises ApiError by shape', () => {
    const e = new ApiError({ kind: 'timeout', message: 'slow', service: 'IMO' });
    assert.ok(isApiError(e));
    assert.ok(!isApiError(new Error('x')));
  });
});
