import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../utils/auth.server';
import { isManagerRole } from '../utils/http.server';

/** Owners and admins start on everything; agents on the work waiting to be claimed (Mine is its own tab). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  return redirect(isManagerRole(actor) ? '/inbox/all' : '/inbox/unassigned');
}
