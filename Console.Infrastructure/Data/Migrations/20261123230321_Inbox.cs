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
                name: "ix_conversations_tenant_id_sla_due_at",
                table: "conversations",
                columns: new[] { "tenant_id", "sla_due_at" },
                filter: "status <> 'Resolved' AND (owner = 'Unassigned' OR sla_due_at IS NOT NULL)");

            migrationBuilder.CreateIndex(
                name: "ix_canned_replies_tenant_id_shortcut",
                table: "canned_replies",
                columns: new[] { "tenant_id", "shortcut" },
                unique: true);

            // Hand-written (keep at the end of Up): inbox search by contact name, phone and message text. Trigram GIN
            // indexes answer ILIKE '%…%'; btree_gin lets the tenant id lead them like every other tenant index.
            migrationBuilder.Sql("""
                CREATE EXTENSION IF NOT EXISTS btree_gin;
                CREATE INDEX ix_contacts_search_name ON contacts USING gin (tenant_id, name gin_trgm_ops);
                CREATE INDEX ix_contacts_search_phone ON contacts USING gin (tenant_id, phone_e164 gin_trgm_ops);
                CREATE INDEX ix_messages_search_body ON messages USING gin (tenant_id, body gin_trgm_ops);
                """);
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "canned_replies");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS ix_contacts_search_name;
                DROP INDEX IF EXISTS ix_contacts_search_phone;
                DROP INDEX IF EXISTS ix_messages_search_body;
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
                name: "ix_conversations_tenant_id_sla_due_at",
                table: "conversations");
        }
    }
}
