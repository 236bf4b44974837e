using Microsoft.EntityFrameworkCore.ChangeTracking;
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
        b.Property(t => t.DisabledBuiltInTools).HasConversion(l => l.ToArray(), a => a.ToList(),
            new ValueComparer<IReadOnlyList<string>>((x, y) => x!.SequenceEqual(y!), l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)), l => l.ToList()))
            .HasColumnType("text[]").HasDefaultValueSql("'{}'::text[]");
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

public sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> b)
    {
        b.ToTable("invitations");
        b.Property(i => i.Email).HasMaxLength(256);
        b.Property(i => i.Role).HasConversion<string>().HasMaxLength(20);
        b.Property(i => i.TokenHash).HasMaxLength(64);
        b.Property(i => i.InvitedBy).HasMaxLength(256);
        // The link is looked up by its hash before any tenant is known (the holder may have no account yet).
        b.HasIndex(i => i.TokenHash).IsUnique();
        b.HasIndex(i => new { i.TenantId, i.CreatedAt });
        b.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
