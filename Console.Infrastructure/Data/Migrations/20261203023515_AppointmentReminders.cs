using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class AppointmentReminders : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "appointment_id",
                table: "scheduled_items",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "reminder_settings",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    offsets_minutes = table.Column<int[]>(type: "integer[]", nullable: false),
                    template_name = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    template_language = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    address = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reminder_settings", x => x.tenant_id);
                    table.ForeignKey(
                        name: "fk_reminder_settings_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_scheduled_items_tenant_id_appointment_id",
                table: "scheduled_items",
                columns: new[] { "tenant_id", "appointment_id" },
                filter: "appointment_id IS NOT NULL");

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "reminder_settings");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reminder_settings");

            migrationBuilder.DropIndex(
                name: "ix_scheduled_items_tenant_id_appointment_id",
                table: "scheduled_items");

            migrationBuilder.DropColumn(
                name: "appointment_id",
                table: "scheduled_items");
        }
    }
}
