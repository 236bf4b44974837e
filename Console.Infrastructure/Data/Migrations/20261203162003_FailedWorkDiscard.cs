using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class FailedWorkDiscard : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "failed_work_discards",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    item_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    actor_user_id = table.Column<Guid>(type: "uuid", nullable: true),
                    actor = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    discarded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    revived_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_failed_work_discards", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_created_at_id",
                table: "audit_entries",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_failed_work_discards_kind_item_id",
                table: "failed_work_discards",
                columns: new[] { "kind", "item_id" },
                filter: "revived_at IS NULL");

            // Set-aside markers are platform records: only the platform context reads or writes them.
            RowLevelSecurity.EnablePlatformTable(migrationBuilder, "failed_work_discards");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "failed_work_discards");

            migrationBuilder.DropIndex(
                name: "ix_audit_entries_created_at_id",
                table: "audit_entries");
        }
    }
}
