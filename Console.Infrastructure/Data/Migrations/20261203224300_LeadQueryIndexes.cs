using Microsoft.EntityFrameworkCore.Migrations;
using OperatorConsole.Domain.Agent;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class LeadQueryIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_owner_member_id",
                table: "contacts");

            migrationBuilder.AddColumn<decimal>(
                name: "value",
                table: "contacts",
                type: "numeric(14,2)",
                precision: 14,
                scale: 2,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_last_seen_at_id",
                table: "contacts",
                columns: new[] { "tenant_id", "last_seen_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_name_id",
                table: "contacts",
                columns: new[] { "tenant_id", "name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_owner_member_id_score_id",
                table: "contacts",
                columns: new[] { "tenant_id", "owner_member_id", "score", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_temperature_score_id",
                table: "contacts",
                columns: new[] { "tenant_id", "temperature", "score", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_contact_identities_tenant_id_channel_id_contact_id",
                table: "contact_identities",
                columns: new[] { "tenant_id", "channel_id", "contact_id" });

            // Hand-written (keep at the end of Up).
            // 1. A lead's value (pending + paid payment links) kept on the contact by a trigger: the grid and the kanban read
            //    one column instead of summing links per row. Deltas, not a recount: two payments of one lead committing
            //    together both land (the second waits on the contact's row and re-reads its value). Moving a link to another
            //    contact (merge) takes its amount along; a deleted contact's links find no row to update.
            // 2. contact_filter_values: a contact's tags and custom-field pairs (up to 200 characters; LeadQueries.FilterValueMax)
            //    as btree rows (kind 't' / 'f'), so the leads
            //    filters "tag" and "field = value" read an index: array and jsonb containment are not leakproof, and under
            //    row-level security PostgreSQL never uses an index for them (docs/benchmarks.md).
            migrationBuilder.Sql($$"""
                SELECT set_config('app.platform', 'on', true);
                CREATE FUNCTION payment_links_contact_value() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('{{nameof(PaymentLinkStatus.Pending)}}', '{{nameof(PaymentLinkStatus.Paid)}}') THEN
                        UPDATE contacts SET value = value - OLD.amount WHERE id = OLD.contact_id;
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('{{nameof(PaymentLinkStatus.Pending)}}', '{{nameof(PaymentLinkStatus.Paid)}}') THEN
                        UPDATE contacts SET value = value + NEW.amount WHERE id = NEW.contact_id;
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER payment_links_contact_value AFTER INSERT OR DELETE OR UPDATE OF status, amount, contact_id ON payment_links
                    FOR EACH ROW EXECUTE FUNCTION payment_links_contact_value();
                UPDATE contacts c SET value = s.value
                FROM (SELECT contact_id, sum(amount) AS value FROM payment_links
                      WHERE status IN ('{{nameof(PaymentLinkStatus.Pending)}}', '{{nameof(PaymentLinkStatus.Paid)}}') GROUP BY contact_id) s
                WHERE c.id = s.contact_id;

                CREATE TABLE contact_filter_values (
                    tenant_id uuid NOT NULL,
                    kind text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    value text COLLATE "C" NOT NULL,
                    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
                    PRIMARY KEY (tenant_id, kind, key, value, contact_id));
                CREATE INDEX ix_contact_filter_values_contact ON contact_filter_values (tenant_id, contact_id);
                CREATE FUNCTION contact_filter_values_of(fields jsonb, tags text[]) RETURNS TABLE (kind text, key text, value text)
                LANGUAGE sql IMMUTABLE AS $$
                    SELECT DISTINCT x.kind, x.key, x.value FROM (
                        SELECT 'f'::text AS kind, e.key, e.value
                        FROM jsonb_each_text(CASE WHEN jsonb_typeof(fields) = 'object' THEN fields ELSE '{}'::jsonb END) AS e
                        UNION ALL
                        SELECT 't'::text, '', t FROM unnest(coalesce(tags, '{}'::text[])) AS t) x
                    WHERE x.value IS NOT NULL AND length(x.key) <= 200 AND length(x.value) <= 200
                $$;
                CREATE FUNCTION contact_filter_values_from_contact() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' THEN
                        IF NEW.fields IS NOT DISTINCT FROM OLD.fields AND NEW.tags IS NOT DISTINCT FROM OLD.tags THEN RETURN NULL; END IF;
                        DELETE FROM contact_filter_values WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
                    END IF;
                    INSERT INTO contact_filter_values (tenant_id, kind, key, value, contact_id)
                    SELECT NEW.tenant_id, v.kind, v.key, v.value, NEW.id FROM contact_filter_values_of(NEW.fields, NEW.tags) AS v;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER contacts_filter_values AFTER INSERT OR UPDATE OF fields, tags ON contacts
                    FOR EACH ROW EXECUTE FUNCTION contact_filter_values_from_contact();
                INSERT INTO contact_filter_values (tenant_id, kind, key, value, contact_id)
                SELECT c.tenant_id, v.kind, v.key, v.value, c.id FROM contacts c, contact_filter_values_of(c.fields, c.tags) AS v;
                """);
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "contact_filter_values");

            // 3. Every existing policy reads its settings through scalar subqueries (as RowLevelSecurity now writes them):
            //    evaluated once per statement instead of per row. Same values, same rules; a policy already in that form
            //    (a database created after this change) is left alone.
            migrationBuilder.Sql("""
                DO $do$
                DECLARE p record; q text; c text;
                BEGIN
                    FOR p IN SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = current_schema() LOOP
                        IF coalesce(p.qual, '') LIKE '%SELECT%' OR coalesce(p.with_check, '') LIKE '%SELECT%' THEN CONTINUE; END IF;
                        q := p.qual; c := p.with_check;
                        q := replace(q, 'current_setting(''app.platform''::text, true) = ''on''::text', '(SELECT current_setting(''app.platform''::text, true) = ''on''::text)');
                        c := replace(c, 'current_setting(''app.platform''::text, true) = ''on''::text', '(SELECT current_setting(''app.platform''::text, true) = ''on''::text)');
                        q := replace(q, '(NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid', '(SELECT (NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid)');
                        c := replace(c, '(NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid', '(SELECT (NULLIF(current_setting(''app.tenant_id''::text, true), ''''::text))::uuid)');
                        q := replace(q, '(NULLIF(current_setting(''app.user_id''::text, true), ''''::text))::uuid', '(SELECT (NULLIF(current_setting(''app.user_id''::text, true), ''''::text))::uuid)');
                        c := replace(c, '(NULLIF(current_setting(''app.user_id''::text, true), ''''::text))::uuid', '(SELECT (NULLIF(current_setting(''app.user_id''::text, true), ''''::text))::uuid)');
                        IF q IS NOT NULL THEN EXECUTE format('ALTER POLICY %I ON %I USING (%s)', p.policyname, p.tablename, q); END IF;
                        IF c IS NOT NULL THEN EXECUTE format('ALTER POLICY %I ON %I WITH CHECK (%s)', p.policyname, p.tablename, c); END IF;
                    END LOOP;
                END $do$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS contacts_filter_values ON contacts;
                DROP FUNCTION IF EXISTS contact_filter_values_from_contact();
                DROP FUNCTION IF EXISTS contact_filter_values_of(jsonb, text[]);
                DROP TABLE IF EXISTS contact_filter_values;
                DROP TRIGGER IF EXISTS payment_links_contact_value ON payment_links;
                DROP FUNCTION IF EXISTS payment_links_contact_value();
                """);

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_last_seen_at_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_name_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_owner_member_id_score_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_temperature_score_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contact_identities_tenant_id_channel_id_contact_id",
                table: "contact_identities");

            migrationBuilder.DropColumn(
                name: "value",
                table: "contacts");

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_owner_member_id",
                table: "contacts",
                columns: new[] { "tenant_id", "owner_member_id" });
        }
    }
}
