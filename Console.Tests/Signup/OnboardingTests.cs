using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Signup;

/// <summary>The first-run checklist reads each step from the workspace's data; the business form becomes the live prompt.</summary>
public class OnboardingTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private Onboarding Onboarding => app.Services.GetRequiredService<Onboarding>();

    private async Task<OnboardingStatus> StatusAsync(Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await Onboarding.GetAsync(work.Db, tenantId, default);
    }

    private async Task<Guid> ColombianTenantAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var slug = TestData.Unique("onb");
        // Pro: the checklist tests connect more channels than Starter's one (plan limits are tested in Billing/PlanGateTests).
        var created = await scope.ServiceProvider.GetRequiredService<TenantProvisioning>().CreateAsync(
            new NewTenant("Panadería " + slug, slug, Plan.Pro, $"{slug}@owner.test", "Str0ng!Pass")
                { Country = SignupCountries.Find("CO"), TrialEndsAt = DateTimeOffset.UtcNow.AddDays(7) }, "test");
        return created.Id;
    }

    [Fact]
    public async Task Each_checklist_item_ticks_itself_when_its_condition_holds_and_the_list_goes_away_when_all_are_done()
    {
        var tenantId = await ColombianTenantAsync();
        var start = await StatusAsync(tenantId);
        Assert.Equal(0, start.Done);
        Assert.True(start.Visible);

        await app.ChannelAsync(tenantId);
        Assert.True((await StatusAsync(tenantId)).ChannelConnected);

        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            work.Db.KnowledgeDocuments.Add(KnowledgeDocument.Create(tenantId, "Precios", "Pan de muerto $45", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        Assert.True((await StatusAsync(tenantId)).KnowledgeAdded);

        await app.ConversationAsync(tenantId, "Cliente de prueba");
        Assert.True((await StatusAsync(tenantId)).AgentTried);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var email = $"{TestData.Unique("agent")}@team.test";
            var agent = new ApplicationUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Ana", CreatedAt = DateTimeOffset.UtcNow };
            Assert.True((await users.CreateAsync(agent, "Str0ng!Pass")).Succeeded);
            await using var work = app.Scopes.ForTenant(tenantId);
            work.Db.TenantMembers.Add(TenantMember.Create(tenantId, agent.Id, TenantRole.Agent, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        Assert.True((await StatusAsync(tenantId)).TeamInvited);
        Assert.False((await StatusAsync(tenantId)).BusinessDescribed);

        await using (var work = app.Scopes.ForTenant(tenantId))
            await Onboarding.SaveBusinessPromptAsync(work.Db, tenantId, "Eres el asistente de la panadería.", null, default);
        var done = await StatusAsync(tenantId);
        Assert.True(done.BusinessDescribed);
        Assert.True(done.Complete);
        Assert.False(done.Visible);
    }

    [Fact]
    public async Task An_invitation_on_its_way_ticks_invite_the_team_and_a_revoked_or_expired_one_does_not()
    {
        var tenantId = await ColombianTenantAsync();
        var now = DateTimeOffset.UtcNow;
        var pending = Invitation.Create(tenantId, "ana@team.test", TenantRole.Agent, TestData.Unique("h1"), null, "owner", now);
        var expired = Invitation.Create(tenantId, "luis@team.test", TenantRole.Agent, TestData.Unique("h2"), null, "owner", now.AddDays(-8));
        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            work.Db.Invitations.Add(expired);
            await work.Db.SaveChangesAsync();
        }
        Assert.False((await StatusAsync(tenantId)).TeamInvited);

        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            work.Db.Invitations.Add(pending);
            await work.Db.SaveChangesAsync();
        }
        Assert.True((await StatusAsync(tenantId)).TeamInvited);

        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            var invitation = await work.Db.Invitations.SingleAsync(i => i.Id == pending.Id);
            invitation.Revoke(DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        Assert.False((await StatusAsync(tenantId)).TeamInvited);
    }

    [Fact]
    public async Task The_business_description_becomes_the_live_agent_prompt_in_the_workspace_language_and_keeps_its_zone()
    {
        var tenantId = await ColombianTenantAsync();
        var prompt = Onboarding.DraftPrompt(new BusinessDescription("Pan dulce y pasteles por encargo", "Concha $15, pastel $450",
            "Lun a sáb 7:00–20:00", "cercano, de tú"), "es", "Panadería La Espiga");
        Assert.Contains("Pan dulce y pasteles por encargo", prompt);
        Assert.Contains("Concha $15, pastel $450", prompt);
        Assert.Contains("Lun a sáb 7:00–20:00", prompt);
        Assert.Contains("Tono: cercano, de tú.", prompt);
        Assert.StartsWith("Eres el asistente virtual de Panadería La Espiga.", prompt);
        Assert.Contains("What we sell", Onboarding.DraftPrompt(new BusinessDescription("Tacos", "", "", ""), "en", "Taco Shop"));

        var edited = prompt + "\n- Ofrece el pan del día.";
        await using var work = app.Scopes.ForTenant(tenantId);
        var live = await Onboarding.SaveBusinessPromptAsync(work.Db, tenantId, edited, "cercano, de tú", default);

        Assert.Equal(AgentProfileState.Live, live.State);
        var stored = await work.Db.AgentProfiles.AsNoTracking().SingleAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live);
        Assert.Equal(edited.Trim(), stored.SystemPrompt);
        Assert.Equal("cercano, de tú", stored.Tone);
        Assert.Equal("America/Bogota", stored.TimeZone);
        Assert.Equal("America/Bogota", (await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId)).TimeZone);
    }

    [Fact]
    public async Task A_dismissed_checklist_stays_hidden()
    {
        var tenantId = await ColombianTenantAsync();
        await using (var work = app.Scopes.ForTenant(tenantId))
            await Onboarding.DismissAsync(work.Db, tenantId, default);
        var status = await StatusAsync(tenantId);
        Assert.False(status.Visible);
        Assert.False(status.Complete);
    }
}
