using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ScheduledItemConfiguration : IEntityTypeConfiguration<ScheduledItem>
{
    public void Configure(EntityTypeBuilder<ScheduledItem> b)
    {
        b.ToTable("scheduled_items");
        b.Property(i => i.Kind).HasConversion<string>().HasMaxLength(24);
        b.Property(i => i.Status).HasConversion<string>().HasMaxLength(12);
        b.Property(i => i.Text).HasMaxLength(ScheduledItem.MaxTextLength);
        b.Property(i => i.Outcome).HasMaxLength(200);
        // Firing and cancelling race (two nodes, an operator): the row version makes the second one decide again.
        b.Property<uint>("Version").IsRowVersion();
        // A conversation's panel lists its items; the sweep looks for pending ones past their time.
        b.HasIndex(i => new { i.TenantId, i.ConversationId, i.At });
        b.HasIndex(i => i.At).HasFilter($"status = '{nameof(ScheduledItemStatus.Pending)}'").HasDatabaseName("ix_scheduled_items_pending_at");
        // An appointment's reminders are found when it moves or is cancelled.
        b.HasIndex(i => new { i.TenantId, i.AppointmentId }).HasFilter("appointment_id IS NOT NULL");
        b.HasOne<Conversation>().WithMany().HasForeignKey(i => new { i.TenantId, i.ConversationId })
            .HasPrincipalKey(c => new { c.TenantId, c.Id }).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class FollowUpPolicyConfiguration : IEntityTypeConfiguration<FollowUpPolicy>
{
    public void Configure(EntityTypeBuilder<FollowUpPolicy> b)
    {
        b.ToTable("follow_up_policies");
        b.HasKey(p => p.TenantId);
        b.Property(p => p.AfterMinutes).HasConversion(l => l.ToArray(), a => a.ToList(),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<IReadOnlyList<int>>((x, y) => x!.SequenceEqual(y!),
                l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)), l => l.ToList()))
            .HasColumnType("integer[]");
        b.Property(p => p.OptOutWords).HasConversion(l => l.ToArray(), a => a.ToList(),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<IReadOnlyList<string>>((x, y) => x!.SequenceEqual(y!),
                l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)), l => l.ToList()))
            .HasColumnType("text[]");
        b.Property(p => p.TemplateName).HasMaxLength(512);
        b.Property(p => p.TemplateLanguage).HasMaxLength(15);
        b.HasOne<OperatorConsole.Domain.Tenants.Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
