using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class KanbanValuedLeads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_stage_id_valued",
                table: "contacts",
                columns: new[] { "tenant_id", "stage_id" },
                filter: "value <> 0.0")
                .Annotation("Npgsql:IndexInclude", new[] { "value" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_stage_id_valued",
                table: "contacts");
        }
    }
}
