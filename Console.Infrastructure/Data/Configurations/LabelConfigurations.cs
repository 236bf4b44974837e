using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class LabelConfiguration : IEntityTypeConfiguration<Label>
{
    public void Configure(EntityTypeBuilder<Label> b)
    {
        b.ToTable("labels");
        b.Property(l => l.Name).HasMaxLength(Label.MaxNameLength);
        b.Property(l => l.Color).HasMaxLength(7);
        // Two agents creating the same label at once: the index decides.
        b.HasIndex(l => new { l.TenantId, l.Name }).IsUnique();
        // The target of conversation_labels' (tenant_id, label_id) key: a link can only name a label of its own tenant.
        b.HasAlternateKey(l => new { l.TenantId, l.Id });
        b.HasOne<Tenant>().WithMany().HasForeignKey(l => l.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ConversationLabelConfiguration : IEntityTypeConfiguration<ConversationLabel>
{
    public void Configure(EntityTypeBuilder<ConversationLabel> b)
    {
        b.ToTable("conversation_labels");
        b.HasKey(l => new { l.TenantId, l.ConversationId, l.LabelId });
        // The list filter: the conversations carrying one label.
        b.HasIndex(l => new { l.TenantId, l.LabelId, l.ConversationId });
        // Both keys include the tenant, so even a raw insert cannot tie one tenant's conversation to another's label.
        b.HasOne<Label>().WithMany().HasForeignKey(l => new { l.TenantId, l.LabelId }).HasPrincipalKey(l => new { l.TenantId, l.Id })
            .OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Conversation>().WithMany().HasForeignKey(l => new { l.TenantId, l.ConversationId })
            .HasPrincipalKey(c => new { c.TenantId, c.Id }).OnDelete(DeleteBehavior.Cascade);
    }
}
