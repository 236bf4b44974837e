using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class InboundMedia : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "media_content_type",
                table: "messages",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "media_state",
                table: "messages",
                type: "character varying(10)",
                maxLength: 10,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_next_attempt_at",
                table: "messages",
                column: "next_attempt_at",
                filter: "media_state = 'Pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_messages_next_attempt_at",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "media_content_type",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "media_state",
                table: "messages");
        }
    }
}
