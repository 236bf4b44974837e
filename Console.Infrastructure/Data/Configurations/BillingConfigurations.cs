using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class SubscriptionConfiguration : IEntityTypeConfiguration<Subscription>
{
    public void Configure(EntityTypeBuilder<Subscription> b)
    {
        b.ToTable("subscriptions");
        b.HasKey(s => s.TenantId);
        b.Property(s => s.StripeCustomerId).HasMaxLength(255);
        b.Property(s => s.StripeSubscriptionId).HasMaxLength(255);
        b.Property(s => s.PriceId).HasMaxLength(255);
        b.Property(s => s.Status).HasConversion<string>().HasMaxLength(20);
        // Stripe's events name the customer or the subscription: both find the tenant.
        b.HasIndex(s => s.StripeCustomerId).IsUnique();
        b.HasIndex(s => s.StripeSubscriptionId).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class AiReplyUsageConfiguration : IEntityTypeConfiguration<AiReplyUsage>
{
    public void Configure(EntityTypeBuilder<AiReplyUsage> b)
    {
        b.ToTable("ai_reply_usage");
        b.Property(u => u.FundedBy).HasConversion<string>().HasMaxLength(20);
        // The meters count a tenant's rows since a day's or a month's start.
        b.HasIndex(u => new { u.TenantId, u.OccurredAt });
        // A turn counts once, even if two nodes race to commit it.
        b.HasIndex(u => new { u.TenantId, u.TurnKey }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(u => u.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class CreditEntryConfiguration : IEntityTypeConfiguration<CreditEntry>
{
    public void Configure(EntityTypeBuilder<CreditEntry> b)
    {
        b.ToTable("credit_entries");
        b.Property(e => e.Kind).HasConversion<string>().HasMaxLength(20);
        b.Property(e => e.Reference).HasMaxLength(255);
        b.Property(e => e.Actor).HasMaxLength(256);
        b.Property(e => e.Note).HasMaxLength(500);
        // The idempotency guard: the same movement (a purchase's session, a reply's usage row) is written once.
        b.HasIndex(e => new { e.TenantId, e.Kind, e.Reference }).IsUnique();
        b.HasIndex(e => new { e.TenantId, e.CreatedAt });
        b.HasOne<Tenant>().WithMany().HasForeignKey(e => e.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class BillingNoticeConfiguration : IEntityTypeConfiguration<BillingNotice>
{
    public void Configure(EntityTypeBuilder<BillingNotice> b)
    {
        b.ToTable("billing_notices");
        b.HasKey(n => new { n.TenantId, n.Kind, n.Period });
        b.Property(n => n.Kind).HasMaxLength(40);
        b.Property(n => n.Period).HasMaxLength(40);
        b.HasOne<Tenant>().WithMany().HasForeignKey(n => n.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class PlatformStripeEventConfiguration : IEntityTypeConfiguration<PlatformStripeEvent>
{
    public void Configure(EntityTypeBuilder<PlatformStripeEvent> b)
    {
        b.ToTable("platform_stripe_events");
        b.HasKey(e => e.EventId);
        b.Property(e => e.EventId).HasMaxLength(255);
        b.Property(e => e.Type).HasMaxLength(100);
        b.HasIndex(e => e.ReceivedAt);
    }
}
