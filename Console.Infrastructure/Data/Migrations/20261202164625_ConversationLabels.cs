using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class ConversationLabels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddUniqueConstraint(
                name: "ak_conversations_tenant_id_id",
                table: "conversations",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateTable(
                name: "labels",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    color = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_labels", x => x.id);
                    table.UniqueConstraint("ak_labels_tenant_id_id", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_labels_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "conversation_labels",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    label_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_conversation_labels", x => new { x.tenant_id, x.conversation_id, x.label_id });
                    table.ForeignKey(
                        name: "fk_conversation_labels_conversations_tenant_id_conversation_id",
                        columns: x => new { x.tenant_id, x.conversation_id },
                        principalTable: "conversations",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_conversation_labels_labels_tenant_id_label_id",
                        columns: x => new { x.tenant_id, x.label_id },
                        principalTable: "labels",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_conversation_labels_tenant_id_label_id_conversation_id",
                table: "conversation_labels",
                columns: new[] { "tenant_id", "label_id", "conversation_id" });

            migrationBuilder.CreateIndex(
                name: "ix_labels_tenant_id_name",
                table: "labels",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "labels");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "conversation_labels");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "conversation_labels");

            migrationBuilder.DropTable(
                name: "labels");

            migrationBuilder.DropUniqueConstraint(
                name: "ak_conversations_tenant_id_id",
                table: "conversations");
        }
    }
}
