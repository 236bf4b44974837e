using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class OutboundWebhookConfiguration : IEntityTypeConfiguration<OutboundWebhook>
{
    public void Configure(EntityTypeBuilder<OutboundWebhook> b)
    {
        b.ToTable("outbound_webhooks");
        b.Property(w => w.Url).HasMaxLength(OutboundWebhook.MaxUrlLength);
        b.HasIndex(w => new { w.TenantId, w.CreatedAt });
        b.HasAlternateKey(w => new { w.TenantId, w.Id });
        b.HasOne<Tenant>().WithMany().HasForeignKey(w => w.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class OutboundWebhookEventConfiguration : IEntityTypeConfiguration<OutboundWebhookEvent>
{
    public void Configure(EntityTypeBuilder<OutboundWebhookEvent> b)
    {
        b.ToTable("outbound_webhook_events");
        b.Property(e => e.Type).HasMaxLength(40);
        b.Property(e => e.Body).HasColumnType("text");
        b.HasIndex(e => new { e.TenantId, e.CreatedAt });
        b.HasAlternateKey(e => new { e.TenantId, e.Id });
        b.HasOne<Tenant>().WithMany().HasForeignKey(e => e.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class OutboundWebhookDeliveryConfiguration : IEntityTypeConfiguration<OutboundWebhookDelivery>
{
    public void Configure(EntityTypeBuilder<OutboundWebhookDelivery> b)
    {
        b.ToTable("outbound_webhook_deliveries");
        b.Property(d => d.EventType).HasMaxLength(40);
        b.Property(d => d.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(d => d.Response).HasMaxLength(OutboundWebhookDelivery.MaxResponseChars);
        // The delivery log of one subscription, newest first.
        b.HasIndex(d => new { d.TenantId, d.WebhookId, d.CreatedAt }).IsDescending(false, false, true);
        // The workers' queue spans tenants (like the media and send queues): only what is still due is indexed.
        b.HasIndex(d => d.NextAttemptAt, "ix_outbound_webhook_deliveries_queue").HasFilter($"status = '{nameof(OutboundDeliveryStatus.Pending)}'");
        // Both keys carry the tenant: a delivery can only join its own tenant's subscription and event.
        b.HasOne<OutboundWebhook>().WithMany().HasForeignKey(d => new { d.TenantId, d.WebhookId }).HasPrincipalKey(w => new { w.TenantId, w.Id })
            .OnDelete(DeleteBehavior.Cascade);
        b.HasOne<OutboundWebhookEvent>().WithMany().HasForeignKey(d => new { d.TenantId, d.EventId }).HasPrincipalKey(e => new { e.TenantId, e.Id })
            .OnDelete(DeleteBehavior.Cascade);
    }
}
