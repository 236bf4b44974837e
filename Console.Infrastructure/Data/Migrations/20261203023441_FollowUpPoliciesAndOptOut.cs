using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class FollowUpPoliciesAndOptOut : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "opted_out_at",
                table: "contacts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "follow_up_policies",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    after_minutes = table.Column<int[]>(type: "integer[]", nullable: false),
                    template_name = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    template_language = table.Column<string>(type: "character varying(15)", maxLength: 15, nullable: true),
                    opt_out_words = table.Column<string[]>(type: "text[]", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_follow_up_policies", x => x.tenant_id);
                    table.ForeignKey(
                        name: "fk_follow_up_policies_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "follow_up_policies");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "follow_up_policies");

            migrationBuilder.DropColumn(
                name: "opted_out_at",
                table: "contacts");
        }
    }
}
