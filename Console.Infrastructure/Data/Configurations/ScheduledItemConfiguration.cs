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
