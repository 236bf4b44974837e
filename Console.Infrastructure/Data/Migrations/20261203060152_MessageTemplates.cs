using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class MessageTemplates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "message_templates",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    language = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    category = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    components_json = table.Column<string>(type: "jsonb", nullable: false),
                    rejection_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    provider_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    synced_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_message_templates", x => x.id);
                    table.ForeignKey(
                        name: "fk_message_templates_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_message_templates_channel_id",
                table: "message_templates",
                column: "channel_id");

            migrationBuilder.CreateIndex(
                name: "ix_message_templates_tenant_id_channel_id_name_language",
                table: "message_templates",
                columns: new[] { "tenant_id", "channel_id", "name", "language" },
                unique: true);
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "message_templates");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "message_templates");
        }
    }
}
