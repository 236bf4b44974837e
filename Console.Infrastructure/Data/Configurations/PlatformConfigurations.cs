using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class SystemEventConfiguration : IEntityTypeConfiguration<SystemEvent>
{
    public void Configure(EntityTypeBuilder<SystemEvent> b)
    {
        b.ToTable("system_events");
        b.Property(e => e.Severity).HasConversion<string>().HasMaxLength(10);
        b.Property(e => e.Source).HasMaxLength(80);
        b.HasIndex(e => e.CreatedAt);
        b.HasIndex(e => new { e.TenantId, e.CreatedAt });
    }
}

public sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("audit_entries");
        b.Property(e => e.Action).HasMaxLength(80);
        b.Property(e => e.Actor).HasMaxLength(256);
        b.HasIndex(e => new { e.TenantId, e.CreatedAt });
        // The platform audit log pages through every tenant's entries, newest first (keyset on created_at, id).
        b.HasIndex(e => new { e.CreatedAt, e.Id });
    }
}

public sealed class FailedWorkDiscardConfiguration : IEntityTypeConfiguration<FailedWorkDiscard>
{
    public void Configure(EntityTypeBuilder<FailedWorkDiscard> b)
    {
        b.ToTable("failed_work_discards");
        b.Property(d => d.Kind).HasMaxLength(20);
        b.Property(d => d.Actor).HasMaxLength(256);
        // The failed-work list asks "is this item set aside?" for every row it shows.
        b.HasIndex(d => new { d.Kind, d.ItemId }).HasFilter("revived_at IS NULL");
    }
}

public sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(k => k.Prefix).HasMaxLength(16);
        b.Property(k => k.Hash).HasMaxLength(64);
        b.Property(k => k.Name).HasMaxLength(120);
        // Keys issued before scopes existed could do everything: the migration gives them all three.
        b.Property(k => k.Scopes).HasColumnType("text[]");
        b.HasIndex(k => new { k.TenantId, k.CreatedAt });
        // Authentication looks a key up by hash before the tenant is known.
        b.HasIndex(k => k.Hash).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class OutboundEmailConfiguration : IEntityTypeConfiguration<OutboundEmail>
{
    public void Configure(EntityTypeBuilder<OutboundEmail> b)
    {
        b.ToTable("outbound_emails");
        b.Property(e => e.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(e => e.To).HasMaxLength(254);
        b.HasIndex(e => e.CreatedAt);
    }
}
