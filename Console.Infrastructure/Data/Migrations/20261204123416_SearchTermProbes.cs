using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class SearchTermProbes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written. The search's word tables get their per-conversation / per-contact index with the term last, so a
            // second search word can be checked for a rare word's few candidates by probing each one's terms (InboxQueries)
            // instead of hashing every conversation a common word is in. The same index still serves the triggers that
            // replace a conversation's or contact's terms and the cascading deletes (its leading columns are unchanged).
            migrationBuilder.Sql("""
                DROP INDEX ix_conversation_terms_conversation;
                CREATE INDEX ix_conversation_terms_conversation ON conversation_terms (tenant_id, conversation_id, term);
                DROP INDEX ix_contact_terms_contact;
                CREATE INDEX ix_contact_terms_contact ON contact_terms (tenant_id, contact_id, term);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX ix_conversation_terms_conversation;
                CREATE INDEX ix_conversation_terms_conversation ON conversation_terms (tenant_id, conversation_id);
                DROP INDEX ix_contact_terms_contact;
                CREATE INDEX ix_contact_terms_contact ON contact_terms (tenant_id, contact_id);
                """);
        }
    }
}
