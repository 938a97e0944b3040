import type { Knex } from 'knex';

/**
 * The contact's name on each of its conversations (issue #6, figure 6), as the inbox list shows
 * it: the display name, else the external key (a phone number or a page-scoped id).
 *
 * The list joined `contacts` to every row of a page for that one column. A page is 51 rows, and
 * the join was the largest part of what the list statement does beyond reading its index (see
 * BENCHMARKS.md). Triggers keep the copy, so that no write path (the projection, the seeds, the
 * test factories, a manual fix) can forget it: a conversation takes its contact's name when it is
 * inserted or moved to another contact, and a contact's new name reaches all its conversations
 * in the statement that renames it. A rename happens when a contact writes again under a new
 * profile name (projection upsertContact), rarely; it costs one indexed update per rename.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table conversations add column contact_name text');
  await knex.raw(
    `update conversations cv set contact_name = coalesce(ct.display_name, ct.external_key)
       from contacts ct where ct.id = cv.contact_id`,
  );
  await knex.raw('alter table conversations alter column contact_name set not null');

  await knex.raw(`
    create function conversations_take_contact_name() returns trigger language plpgsql as $$
    begin
      select coalesce(ct.display_name, ct.external_key) into new.contact_name
        from contacts ct where ct.id = new.contact_id;
      return new;
    end $$`);
  await knex.raw(`
    create trigger conversations_take_contact_name
      before insert or update of contact_id on conversations
      for each row execute function conversations_take_contact_name()`);

  await knex.raw(`
    create function contacts_pass_name_to_conversations() returns trigger language plpgsql as $$
    begin
      update conversations set contact_name = coalesce(new.display_name, new.external_key)
        where contact_id = new.id
          and contact_name is distinct from coalesce(new.display_name, new.external_key);
      return null;
    end $$`);
  await knex.raw(`
    create trigger contacts_pass_name_to_conversations
      after update of display_name, external_key on contacts
      for each row
      when (coalesce(old.display_name, old.external_key) is distinct from coalesce(new.display_name, new.external_key))
      execute function contacts_pass_name_to_conversations()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists contacts_pass_name_to_conversations on contacts');
  await knex.raw('drop function if exists contacts_pass_name_to_conversations()');
  await knex.raw('drop trigger if exists conversations_take_contact_name on conversations');
  await knex.raw('drop function if exists conversations_take_contact_name()');
  await knex.raw('alter table conversations drop column if exists contact_name');
}
