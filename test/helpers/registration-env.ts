// Imported first by tests of the registration handler, which reads its configuration at import time.
import { REGISTRATION_ENV } from '../../lambda/registration/config';

export const TOKEN_SECRET_ID = 'volt/api-token';
process.env[REGISTRATION_ENV.tokenSecretId] = TOKEN_SECRET_ID;
// Powertools then logs through the global console, which the tests capture.
process.env.POWERTOOLS_DEV = 'true';
process.env.AWS_REGION ??= 'us-east-1';
