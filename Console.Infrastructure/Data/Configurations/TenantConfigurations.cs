using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    public void Configure(EntityTypeBuilder<Tenant> b)
    {
        b.ToTable("tenants");
        b.Property(t => t.Name).HasMaxLength(120);
        b.Property(t => t.Slug).HasMaxLength(40);
        b.HasIndex(t => t.Slug).IsUnique();
        b.Property(t => t.Plan).HasConversion<string>().HasMaxLength(20);
        b.Property(t => t.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(t => t.TimeZone).HasMaxLength(64);
        b.Property(t => t.DefaultCulture).HasMaxLength(8);
        b.Property(t => t.DefaultRegion).HasMaxLength(2).HasDefaultValue("MX");
    }
}

public sealed class TenantMemberConfiguration : IEntityTypeConfiguration<TenantMember>
{
    public void Configure(EntityTypeBuilder<TenantMember> b)
    {
        b.ToTable("tenant_members");
        b.Property(m => m.Role).HasConversion<string>().HasMaxLength(20);
        b.HasIndex(m => new { m.TenantId, m.UserId }).IsUnique();
        // Listing "my tenants" at sign-in searches by user across tenants.
        b.HasIndex(m => m.UserId);
        b.HasOne<Tenant>().WithMany().HasForeignKey(m => m.TenantId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<ApplicationUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(m => m.Presence).HasConversion<string>().HasMaxLength(10);
    }
}

public sealed class PresenceLeaseConfiguration : IEntityTypeConfiguration<PresenceLease>
{
    public void Configure(EntityTypeBuilder<PresenceLease> b)
    {
        b.ToTable("presence_leases");
        b.HasKey(l => new { l.TenantId, l.MemberId, l.NodeId });
        // Each node renews all of its own leases at once, across tenants.
        b.HasIndex(l => l.NodeId);
        b.HasOne<TenantMember>().WithMany().HasForeignKey(l => l.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}
