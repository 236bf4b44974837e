using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookIntakeIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_webhook_deliveries_received_at",
                table: "webhook_deliveries");

            migrationBuilder.AlterColumn<string>(
                name: "source",
                table: "webhook_deliveries",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20);

            migrationBuilder.AlterColumn<string>(
                name: "body_hash",
                table: "webhook_deliveries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_received_at",
                table: "webhook_deliveries",
                column: "received_at",
                filter: "state IN ('Failed', 'Unroutable')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_webhook_deliveries_received_at",
                table: "webhook_deliveries");

            migrationBuilder.AlterColumn<string>(
                name: "source",
                table: "webhook_deliveries",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20,
                oldCollation: "C");

            migrationBuilder.AlterColumn<string>(
                name: "body_hash",
                table: "webhook_deliveries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldCollation: "C");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_received_at",
                table: "webhook_deliveries",
                column: "received_at");
        }
    }
}
