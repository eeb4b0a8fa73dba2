// The write-only credential bodies, shared by host registration and POST /v1/credentials.
// Private keys are checked with ssh2's parser here, so a key the transport would refuse is
// a 422 now rather than an authentication failure at the first probe.
import { z } from '@hono/zod-openapi';
import { privateKeyProblem } from './ssh-key.ts';

const secret = (max: number) => z.string().min(1).max(max).openapi({ writeOnly: true });

/** The three credential kinds, each with the extra fields given (strict objects). */
export function credentialVariants<S extends z.ZodRawShape>(extra: S) {
  return z.discriminatedUnion('type', [
    z
      .strictObject({
        ...extra,
        type: z.literal('privateKey'),
        privateKey: secret(65_536),
        passphrase: secret(1024).optional(),
      })
      .superRefine((value, ctx) => {
        const { privateKey, passphrase } = value as { privateKey: string; passphrase?: string };
        const reason = privateKeyProblem(privateKey, passphrase);
        if (reason) ctx.addIssue({ code: 'custom', path: ['privateKey'], message: reason });
      }),
    z.strictObject({ ...extra, type: z.literal('password'), password: secret(1024) }),
    z.strictObject({ ...extra, type: z.literal('agent') }),
  ]);
}
