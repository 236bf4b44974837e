using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ReplayRunConfiguration : IEntityTypeConfiguration<ReplayRun>
{
    public void Configure(EntityTypeBuilder<ReplayRun> b)
    {
        b.ToTable("replay_runs");
        b.Property(r => r.Status).HasConversion<string>().HasMaxLength(12);
        b.Property(r => r.Rubric).HasMaxLength(ReplayRubric.MaxLength);
        b.Property(r => r.CreatedBy).HasMaxLength(256);
        b.Property(r => r.Cost).HasPrecision(14, 6);
        b.Ignore(r => r.IsActive);
        b.HasIndex(r => new { r.TenantId, r.CreatedAt });
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ReplayTurnConfiguration : IEntityTypeConfiguration<ReplayTurn>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<ReplayTurn> b)
    {
        b.ToTable("replay_turns");
        b.Property(t => t.ContactName).HasMaxLength(200);
        b.Property(t => t.Channel).HasConversion<string>().HasMaxLength(20);
        b.Property(t => t.CustomerText).HasMaxLength(ReplayTurn.MaxTextLength);
        b.Property(t => t.LiveReply).HasMaxLength(ReplayTurn.MaxTextLength);
        b.Property(t => t.DraftReply).HasMaxLength(ReplayTurn.MaxTextLength);
        b.Property(t => t.VerdictWhy).HasMaxLength(ReplayTurn.MaxTextLength);
        b.Property(t => t.Error).HasMaxLength(ReplayTurn.MaxTextLength);
        b.Property(t => t.Model).HasMaxLength(100);
        b.Property(t => t.Verdict).HasConversion<string>().HasMaxLength(10);
        b.Property(t => t.Cost).HasPrecision(14, 6);
        b.Property(t => t.ToolCalls).HasColumnType("jsonb").HasConversion(
            l => JsonSerializer.Serialize(l, Json),
            s => JsonSerializer.Deserialize<List<ReplayToolCall>>(s, Json) ?? new List<ReplayToolCall>(),
            new ValueComparer<IReadOnlyList<ReplayToolCall>>((x, y) => x!.SequenceEqual(y!), l => l.Count, l => l.ToList()));
        b.HasIndex(t => new { t.TenantId, t.RunId, t.Position }).IsUnique();
        b.HasOne<ReplayRun>().WithMany().HasForeignKey(t => t.RunId).OnDelete(DeleteBehavior.Cascade);
        // A deleted conversation takes its replayed turns with it (they quote the customer).
        b.HasOne<Conversation>().WithMany().HasForeignKey(t => t.ConversationId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ReplayRubricConfiguration : IEntityTypeConfiguration<ReplayRubric>
{
    public void Configure(EntityTypeBuilder<ReplayRubric> b)
    {
        b.ToTable("replay_rubrics");
        b.HasKey(r => r.TenantId);
        b.Property(r => r.Text).HasMaxLength(ReplayRubric.MaxLength);
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
