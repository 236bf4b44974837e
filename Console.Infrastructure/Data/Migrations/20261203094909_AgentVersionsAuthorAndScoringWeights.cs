using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class AgentVersionsAuthorAndScoringWeights : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "published_by",
                table: "agent_profiles",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "restored_from",
                table: "agent_profiles",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scoring_weights",
                table: "agent_profiles",
                type: "jsonb",
                nullable: false,
                // Existing profiles keep the weights that were fixed in code until now.
                defaultValue: """{"interested":10,"urgent":15,"budgetMentioned":20,"decisionMaker":15,"comparing":5,"notInterested":-20,"spam":-50}""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "published_by",
                table: "agent_profiles");

            migrationBuilder.DropColumn(
                name: "restored_from",
                table: "agent_profiles");

            migrationBuilder.DropColumn(
                name: "scoring_weights",
                table: "agent_profiles");
        }
    }
}
