using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class CannedReplyConfiguration : IEntityTypeConfiguration<CannedReply>
{
    public void Configure(EntityTypeBuilder<CannedReply> b)
    {
        b.ToTable("canned_replies");
        b.Property(r => r.Shortcut).HasMaxLength(CannedReply.MaxShortcutLength);
        b.Property(r => r.Text).HasMaxLength(CannedReply.MaxTextLength);
        // Two agents saving the same shortcut at once: the index decides, the loser is told.
        b.HasIndex(r => new { r.TenantId, r.Shortcut }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
