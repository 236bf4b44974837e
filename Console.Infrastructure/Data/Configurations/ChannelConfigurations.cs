using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ChannelConfiguration : IEntityTypeConfiguration<Channel>
{
    public void Configure(EntityTypeBuilder<Channel> b)
    {
        b.ToTable("channels");
        b.Property(c => c.Kind).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.ExternalId).HasMaxLength(64);
        b.Property(c => c.AccountId).HasMaxLength(64);
        b.Property(c => c.DisplayName).HasMaxLength(120);
        b.HasIndex(c => new { c.TenantId, c.Kind });
        // Webhooks route by (kind, external id) before any tenant is known: a number belongs to one tenant only.
        b.HasIndex(c => new { c.Kind, c.ExternalId }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("webhook_deliveries");
        // Every webhook inserts into the unique (source, hash) index: byte-order comparison ("C"), not the locale's rules.
        b.Property(d => d.Source).HasMaxLength(20).UseCollation("C");
        b.Property(d => d.State).HasConversion<string>().HasMaxLength(12);
        b.Property(d => d.BodyHash).HasMaxLength(64).UseCollation("C");
        // Identical retries of one delivery (Meta resends the same bytes) are stored once.
        b.HasIndex(d => new { d.Source, d.BodyHash }).IsUnique();
        // The processor scans only work that is due.
        b.HasIndex(d => d.NextAttemptAt).HasFilter($"state = '{nameof(DeliveryState.Pending)}'");
        // Every agent turn claim asks for the oldest delivery not yet read (AgentTurnLease): one probe of this index,
        // where the one above made it read every waiting delivery (10 ms a claim with 12,000 waiting).
        b.HasIndex(d => d.ReceivedAt, "ix_webhook_deliveries_unread").HasDatabaseName("ix_webhook_deliveries_unread")
            .HasFilter($"state = '{nameof(DeliveryState.Pending)}' AND attempts = 0");
        // The super admin's list of deliveries to look at. Partial: the intake never writes into it, and the table
        // grows by every webhook ever received.
        b.HasIndex(d => d.ReceivedAt).HasFilter($"state IN ('{nameof(DeliveryState.Failed)}', '{nameof(DeliveryState.Unroutable)}')");
    }
}

public sealed class ChannelAccessConfiguration : IEntityTypeConfiguration<ChannelAccess>
{
    public void Configure(EntityTypeBuilder<ChannelAccess> b)
    {
        b.ToTable("channel_access");
        b.HasIndex(a => new { a.TenantId, a.ChannelId, a.MemberId }).IsUnique();
        b.HasOne<Channel>().WithMany().HasForeignKey(a => a.ChannelId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<TenantMember>().WithMany().HasForeignKey(a => a.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}
