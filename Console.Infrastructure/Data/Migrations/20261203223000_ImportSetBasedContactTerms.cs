using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <summary>
    /// A new contact's search terms (its name's words, its phone's digit suffixes) are written once per INSERT statement
    /// from the statement's new rows (a transition table) instead of once per row: the CSV import stores a batch of 1,000
    /// leads with one statement, and one set-based insert of their ~12,000 terms replaces 1,000 trigger calls. Single-row
    /// inserts (webhooks, the API) get the same terms as before. Updates of the name or phone stay per row (a trigger with
    /// a column list cannot have a transition table).
    /// </summary>
    [DbContext(typeof(AppDbContext))]
    [Migration("20261203223000_ImportSetBasedContactTerms")]
    public partial class ImportSetBasedContactTerms : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION contact_terms_from_new_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO contact_terms (tenant_id, term, contact_id)
                    SELECT n.tenant_id, t.w, n.id
                    FROM new_contacts n, LATERAL (SELECT search_words(n.name) UNION SELECT phone_suffixes(n.phone_e164)) AS t(w);
                    RETURN NULL;
                END $$;
                DROP TRIGGER contacts_search_terms ON contacts;
                CREATE TRIGGER contacts_search_terms AFTER UPDATE OF name, phone_e164 ON contacts
                    FOR EACH ROW EXECUTE FUNCTION contact_terms_from_contact();
                CREATE TRIGGER contacts_search_terms_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_contacts
                    FOR EACH STATEMENT EXECUTE FUNCTION contact_terms_from_new_contacts();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER contacts_search_terms_insert ON contacts;
                DROP TRIGGER contacts_search_terms ON contacts;
                CREATE TRIGGER contacts_search_terms AFTER INSERT OR UPDATE OF name, phone_e164 ON contacts
                    FOR EACH ROW EXECUTE FUNCTION contact_terms_from_contact();
                DROP FUNCTION contact_terms_from_new_contacts();
                """);
        }
    }
}
