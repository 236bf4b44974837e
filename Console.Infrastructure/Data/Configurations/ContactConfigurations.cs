using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.ToTable("contacts");
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.PhoneE164).HasMaxLength(20);
        b.Property(c => c.Email).HasMaxLength(254);
        b.Property(c => c.Company).HasMaxLength(200);
        b.Property(c => c.Stage).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.Temperature).HasConversion<string>().HasMaxLength(10);
        b.Property<Dictionary<string, string>>("_fields").HasColumnName("fields").HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));
        b.Ignore(c => c.Fields);
        b.HasMany(c => c.Identities).WithOne().HasForeignKey(i => i.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(c => c.Identities).UsePropertyAccessMode(PropertyAccessMode.Field);
        b.HasMany(c => c.ScoreChanges).WithOne().HasForeignKey(s => s.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(c => c.ScoreChanges).UsePropertyAccessMode(PropertyAccessMode.Field);
        // Imports and merges find an existing lead by e-mail.
        b.HasIndex(c => new { c.TenantId, c.Email });
        b.HasIndex(c => new { c.TenantId, c.PhoneE164 });
        b.HasIndex(c => new { c.TenantId, c.Stage, c.Score });
        b.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactIdentityConfiguration : IEntityTypeConfiguration<ContactIdentity>
{
    public void Configure(EntityTypeBuilder<ContactIdentity> b)
    {
        b.ToTable("contact_identities");
        b.Property(i => i.Kind).HasConversion<string>().HasMaxLength(10);
        b.Property(i => i.Value).HasMaxLength(128);
        // One contact per identity on a channel: concurrent webhooks race on this index, not on a lookup.
        b.HasIndex(i => new { i.TenantId, i.ChannelId, i.Kind, i.Value }).IsUnique();
        b.HasOne<Channel>().WithMany().HasForeignKey(i => i.ChannelId).OnDelete(DeleteBehavior.Cascade);
    }
}
