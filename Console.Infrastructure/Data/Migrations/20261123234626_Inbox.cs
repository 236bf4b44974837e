using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class Inbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "canned_replies",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shortcut = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    text = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_canned_replies", x => x.id);
                    table.ForeignKey(
                        name: "fk_canned_replies_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_tenant_id_assigned_member_id_last_message_at_",
                table: "conversations",
                columns: new[] { "tenant_id", "assigned_member_id", "last_message_at", "id" },
                descending: new[] { false, false, true, true },
                filter: "status <> 'Resolved'");

            migrationBuilder.CreateIndex(
                name: "ix_conversations_tenant_id_last_message_at_id",
                table: "conversations",
                columns: new[] { "tenant_id", "last_message_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_tenant_id_owner_last_message_at_id",
                table: "conversations",
                columns: new[] { "tenant_id", "owner", "last_message_at", "id" },
                descending: new[] { false, false, true, true },
                filter: "status <> 'Resolved'");

            migrationBuilder.CreateIndex(
                name: "ix_conversations_tenant_id_priority_sla_due_at_id",
                table: "conversations",
                columns: new[] { "tenant_id", "priority", "sla_due_at", "id" },
                filter: "status <> 'Resolved' AND (owner = 'Unassigned' OR sla_due_at IS NOT NULL)");

            migrationBuilder.CreateIndex(
                name: "ix_canned_replies_tenant_id_shortcut",
                table: "canned_replies",
                columns: new[] { "tenant_id", "shortcut" },
                unique: true);

            // Hand-written (keep at the end of Up): inbox search by contact name, phone and message text.
            // Row-level security stops PostgreSQL from using an index for a non-leakproof operator such as ILIKE or
            // pg_trgm's (a policy's quals must run first), so a trigram index would never be used for the serving role.
            // Instead triggers keep word tables (lowercase, unaccented; phone digits as every suffix of 4+ digits) and the
            // search is a prefix range on them: text comparison is leakproof, so the btree (tenant id first) is used.
            migrationBuilder.Sql("""
                CREATE TABLE conversation_terms (
                    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                    term text COLLATE "C" NOT NULL,
                    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                    PRIMARY KEY (tenant_id, term, conversation_id));
                CREATE INDEX ix_conversation_terms_conversation ON conversation_terms (tenant_id, conversation_id);
                CREATE TABLE contact_terms (
                    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                    term text COLLATE "C" NOT NULL,
                    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
                    PRIMARY KEY (tenant_id, term, contact_id));
                CREATE INDEX ix_contact_terms_contact ON contact_terms (tenant_id, contact_id);

                CREATE FUNCTION search_words(body text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
                    SELECT DISTINCT w FROM regexp_split_to_table(lower(unaccent(coalesce(body, ''))), '[^[:alnum:]]+') AS w
                    WHERE length(w) BETWEEN 1 AND 40
                $$;
                CREATE FUNCTION phone_suffixes(phone text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
                    SELECT substr(d, i) FROM (SELECT regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS d) p,
                        generate_series(1, greatest(length(d) - 3, 0)) AS i
                $$;
                CREATE FUNCTION conversation_terms_from_message() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.body IS NOT NULL AND NEW.type <> 'Reaction' THEN
                        INSERT INTO conversation_terms (tenant_id, term, conversation_id)
                        SELECT NEW.tenant_id, w, NEW.conversation_id FROM search_words(NEW.body) AS w
                        ON CONFLICT DO NOTHING;
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER messages_search_terms AFTER INSERT OR UPDATE OF body ON messages
                    FOR EACH ROW EXECUTE FUNCTION conversation_terms_from_message();
                CREATE FUNCTION contact_terms_from_contact() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' THEN
                        DELETE FROM contact_terms WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
                    END IF;
                    INSERT INTO contact_terms (tenant_id, term, contact_id)
                    SELECT NEW.tenant_id, w, NEW.id FROM (SELECT search_words(NEW.name) UNION SELECT phone_suffixes(NEW.phone_e164)) AS t(w)
                    ON CONFLICT DO NOTHING;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER contacts_search_terms AFTER INSERT OR UPDATE OF name, phone_e164 ON contacts
                    FOR EACH ROW EXECUTE FUNCTION contact_terms_from_contact();

                INSERT INTO conversation_terms (tenant_id, term, conversation_id)
                SELECT m.tenant_id, w, m.conversation_id FROM messages m, search_words(m.body) AS w
                WHERE m.body IS NOT NULL AND m.type <> 'Reaction' ON CONFLICT DO NOTHING;
                INSERT INTO contact_terms (tenant_id, term, contact_id)
                SELECT c.tenant_id, w, c.id FROM contacts c, LATERAL (SELECT search_words(c.name) UNION SELECT phone_suffixes(c.phone_e164)) AS t(w)
                ON CONFLICT DO NOTHING;
                """);
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "conversation_terms");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "contact_terms");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "canned_replies");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS messages_search_terms ON messages;
                DROP TRIGGER IF EXISTS contacts_search_terms ON contacts;
                DROP FUNCTION IF EXISTS conversation_terms_from_message();
                DROP FUNCTION IF EXISTS contact_terms_from_contact();
                DROP FUNCTION IF EXISTS phone_suffixes(text);
                DROP FUNCTION IF EXISTS search_words(text);
                DROP TABLE IF EXISTS conversation_terms;
                DROP TABLE IF EXISTS contact_terms;
                """);

            migrationBuilder.DropTable(
                name: "canned_replies");

            migrationBuilder.DropIndex(
                name: "ix_conversations_tenant_id_assigned_member_id_last_message_at_",
                table: "conversations");

            migrationBuilder.DropIndex(
                name: "ix_conversations_tenant_id_last_message_at_id",
                table: "conversations");

            migrationBuilder.DropIndex(
                name: "ix_conversations_tenant_id_owner_last_message_at_id",
                table: "conversations");

            migrationBuilder.DropIndex(
                name: "ix_conversations_tenant_id_priority_sla_due_at_id",
                table: "conversations");
        }
    }
}
