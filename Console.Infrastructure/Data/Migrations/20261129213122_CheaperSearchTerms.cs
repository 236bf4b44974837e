using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class CheaperSearchTerms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every message and every new contact writes search-term rows (a new contact about twelve: its name's words and
            // its phone's digit suffixes). Each row checked two foreign keys; the tenant one is redundant (the conversation
            // or contact it belongs to is deleted with its tenant, and takes its terms along), so it goes. A new contact has
            // no terms yet and an update deletes the old ones first, so its insert needs no ON CONFLICT (a speculative
            // insertion per row); the UNION already removes duplicates.
            migrationBuilder.Sql("""
                ALTER TABLE conversation_terms DROP CONSTRAINT conversation_terms_tenant_id_fkey;
                ALTER TABLE contact_terms DROP CONSTRAINT contact_terms_tenant_id_fkey;
                CREATE OR REPLACE FUNCTION contact_terms_from_contact() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' THEN
                        DELETE FROM contact_terms WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
                    END IF;
                    INSERT INTO contact_terms (tenant_id, term, contact_id)
                    SELECT NEW.tenant_id, w, NEW.id FROM (SELECT search_words(NEW.name) UNION SELECT phone_suffixes(NEW.phone_e164)) AS t(w);
                    RETURN NULL;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION contact_terms_from_contact() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' THEN
                        DELETE FROM contact_terms WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
                    END IF;
                    INSERT INTO contact_terms (tenant_id, term, contact_id)
                    SELECT NEW.tenant_id, w, NEW.id FROM (SELECT search_words(NEW.name) UNION SELECT phone_suffixes(NEW.phone_e164)) AS t(w)
                    ON CONFLICT DO NOTHING;
                    RETURN NULL;
                END $$;
                ALTER TABLE contact_terms ADD CONSTRAINT contact_terms_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
                ALTER TABLE conversation_terms ADD CONSTRAINT conversation_terms_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
                """);
        }
    }
}
