using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Inbox;

/// <summary>Members and actors for inbox tests; every test creates its own tenant and people.</summary>
public static class InboxTestData
{
    /// <summary>A new user who is a member of the tenant with the role; returns them as an inbox actor.</summary>
    public static async Task<InboxActor> MemberAsync(this ConsoleAppFactory app, Guid tenantId, string name, TenantRole role = TenantRole.Agent,
        string password = "Str0ng!Pass", string culture = "es")
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var email = $"{TestData.Unique("agent")}@agents.test";
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, Culture = culture,
            CreatedAt = DateTimeOffset.UtcNow, LastTenantId = tenantId,
        };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        await using var work = app.Scopes.ForTenant(tenantId);
        var member = TenantMember.Create(tenantId, user.Id, role, DateTimeOffset.UtcNow);
        work.Db.TenantMembers.Add(member);
        await work.Db.SaveChangesAsync();
        return new InboxActor(tenantId, member.Id, role, name);
    }

    public static async Task<string> EmailOfAsync(this ConsoleAppFactory app, Guid tenantId, Guid memberId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await (from m in work.Db.TenantMembers join u in work.Db.Users on m.UserId equals u.Id where m.Id == memberId select u.Email!)
            .SingleAsync();
    }

    /// <summary>The tenant's owner (created by provisioning) as an actor.</summary>
    public static async Task<InboxActor> OwnerAsync(this ConsoleAppFactory app, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        var owner = await work.Db.TenantMembers.SingleAsync(m => m.TenantId == tenantId && m.Role == TenantRole.Owner);
        return new InboxActor(tenantId, owner.Id, TenantRole.Owner, "Owner");
    }

    public static InboxQueries Queries(this ConsoleAppFactory app) => app.Services.GetRequiredService<InboxQueries>();

    public static ConversationCommands Commands(this ConsoleAppFactory app) => app.Services.GetRequiredService<ConversationCommands>();
}
