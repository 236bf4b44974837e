using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class MediaUnderstandingAndAgentFiles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "feature",
                table: "token_usage",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(10)",
                oldMaxLength: 10);

            migrationBuilder.AddColumn<bool>(
                name: "describe_images",
                table: "tenants",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "media_text",
                table: "messages",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "content_type",
                table: "agent_files",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "description",
                table: "agent_files",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "size_bytes",
                table: "agent_files",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "stored",
                table: "agent_files",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<List<string>>(
                name: "trigger_words",
                table: "agent_files",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'"); // files added before trigger words existed have none
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "describe_images",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "media_text",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "content_type",
                table: "agent_files");

            migrationBuilder.DropColumn(
                name: "description",
                table: "agent_files");

            migrationBuilder.DropColumn(
                name: "size_bytes",
                table: "agent_files");

            migrationBuilder.DropColumn(
                name: "stored",
                table: "agent_files");

            migrationBuilder.DropColumn(
                name: "trigger_words",
                table: "agent_files");

            migrationBuilder.AlterColumn<string>(
                name: "feature",
                table: "token_usage",
                type: "character varying(10)",
                maxLength: 10,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20);
        }
    }
}
