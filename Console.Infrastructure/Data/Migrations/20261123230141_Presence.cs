using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class Presence : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "capacity",
                table: "tenant_members",
                type: "integer",
                nullable: false,
                defaultValue: 10);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_assigned_at",
                table: "tenant_members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_seen_at",
                table: "tenant_members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "presence",
                table: "tenant_members",
                type: "character varying(10)",
                maxLength: 10,
                nullable: false,
                defaultValue: "Offline");

            migrationBuilder.CreateTable(
                name: "presence_leases",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    renewed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_presence_leases", x => new { x.tenant_id, x.member_id, x.node_id });
                    table.ForeignKey(
                        name: "fk_presence_leases_tenant_members_member_id",
                        column: x => x.member_id,
                        principalTable: "tenant_members",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_presence_leases_member_id",
                table: "presence_leases",
                column: "member_id");

            migrationBuilder.CreateIndex(
                name: "ix_presence_leases_node_id",
                table: "presence_leases",
                column: "node_id");

            // Hand-written (keep at the end of Up): tenant isolation for the new tenant-owned table.
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "presence_leases");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "presence_leases");

            migrationBuilder.DropColumn(
                name: "capacity",
                table: "tenant_members");

            migrationBuilder.DropColumn(
                name: "last_assigned_at",
                table: "tenant_members");

            migrationBuilder.DropColumn(
                name: "last_seen_at",
                table: "tenant_members");

            migrationBuilder.DropColumn(
                name: "presence",
                table: "tenant_members");
        }
    }
}
