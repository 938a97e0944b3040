/** A bearer token from `POST /api/v1/auth/tokens` (DESIGN §5); fails unless it was issued (201). */
export async function apiToken(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 201) throw new Error(`no token for ${email}: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}
