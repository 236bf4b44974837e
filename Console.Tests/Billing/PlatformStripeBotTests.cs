using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

/// <summary>The app with a scripted model and the fake Stripe, with no grace period: a failed payment stops the bot at once.</summary>
public sealed class PlatformStripeBotApp : IAsyncLifetime
{
    public FakeStripeApi Stripe { get; private set; } = default!;
    public FakeLlm Llm { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        Stripe.AcceptKey(PlatformStripeApp.SecretKey, "Console platform");
        Llm = await FakeLlm.StartAsync();
        var settings = AgentApp.Settings(Llm);
        settings["Stripe:ApiBase"] = Stripe.BaseUrl;
        settings["Stripe:SecretKey"] = PlatformStripeApp.SecretKey;
        settings["Stripe:WebhookSecret"] = PlatformStripeApp.WebhookSecret;
        settings["Stripe:Prices:Starter"] = PlatformStripeApp.PriceOf(Plan.Starter);
        settings["Stripe:Prices:Growth"] = PlatformStripeApp.PriceOf(Plan.Growth);
        settings["Stripe:Prices:Pro"] = PlatformStripeApp.PriceOf(Plan.Pro);
        settings["Platform:PublicBaseUrl"] = PlatformStripeApp.PublicBase;
        settings["Billing:GraceDays"] = "0";
        App = new NodeAppFactory(null, settings);
        await App.InitializeAsync();
        Stripe.ConnectApp(() => App.CreateClient(), PlatformStripeApp.WebhookSecret);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Llm.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>What a customer notices: the bot answers while the subscription is paid, hands over when it is not, and answers again once paid.</summary>
public class PlatformStripeBotTests(PlatformStripeBotApp billing) : IClassFixture<PlatformStripeBotApp>
{
    [Fact]
    public async Task A_failed_payment_past_grace_hands_new_messages_to_humans_and_the_paid_invoice_brings_the_bot_back()
    {
        var app = billing.App;
        var customer = await TestCustomer.CreateAsync(app);
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);

        // The owner subscribes through Checkout (REST → the hosted page → Stripe's signed events).
        var checkout = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/billing/checkout", new { plan = "growth" });
        var url = (await checkout.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        using (var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
            Assert.Equal(HttpStatusCode.Redirect, (await browser.PostAsync(url, new FormUrlEncodedContent([]))).StatusCode);
        string subscriptionId;
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            subscriptionId = (await work.Db.Subscriptions.AsNoTracking().SingleAsync()).StripeSubscriptionId!;
        var subscription = billing.Stripe.Subscriptions[subscriptionId];

        await customer.SayAsync("Hola, ¿tienen citas mañana?");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        // The renewal fails and there is no grace left: the next message is kept and handed to the team, no model call.
        subscription.Status = "past_due";
        var failed = await billing.Stripe.SendEventAsync("invoice.payment_failed", FakeStripeApi.Invoice(subscription, "open"));
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var modelCalls = billing.Llm.ReplyRequests.Count;
        await customer.SayAsync("¿Siguen ahí?");
        var conversation = await Eventually.GetAsync(customer.ConversationAsync, c => c.HandoffReason == HandoffReason.BillingStopped,
            "the conversation handed to humans because billing stopped the bot", TimeSpan.FromSeconds(30));
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync());
        Assert.Equal(modelCalls, billing.Llm.ReplyRequests.Count);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            Assert.Equal(2, await work.Db.Messages.CountAsync(m => m.Direction == MessageDirection.Inbound));

        // The owner pays: Stripe says invoice.paid, and the bot answers again as soon as the team hands the chat back.
        subscription.Status = "active";
        var paid = await billing.Stripe.SendEventAsync("invoice.paid", FakeStripeApi.Invoice(subscription, "paid"));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        var released = await api.PostAsync($"/api/v1/tenants/{customer.TenantId}/conversations/{conversation.Id}/release", null);
        Assert.True(released.IsSuccessStatusCode, $"release answered {released.StatusCode}");
        await customer.SayAsync("Perfecto, ¿a qué hora?");
        await customer.WaitForBotMessagesAsync(2);
    }
}
