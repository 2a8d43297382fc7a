namespace LlmQueue.Models.Tokenization;

/// <summary>A few KB of varied English (prose, dialogue, numbers, code) to train the synthetic tokenizer's merges.</summary>
internal static class SyntheticCorpus
{
    public const string Text = """
        The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times.
        Once upon a time, in a small village by the sea, there lived an old fisherman and his wife. Every
        morning he went out with his boat before the sun was up, and every evening he came back with the
        day's catch. The people of the village said that he knew the water better than anyone else.

        "Where are you going?" asked the girl. "I'm going to the market," said her brother, "and I'll be back
        before dinner. Don't forget to feed the cat, and please don't open the door to strangers."
        She laughed. "You always say that. We haven't seen a stranger here in years!"

        Machine learning is a field of study that gives computers the ability to learn without being
        explicitly programmed. A language model predicts the next token in a sequence of text. Large models
        are trained on billions of tokens, and they are served by systems that batch many requests together
        so that the hardware stays busy. The memory used by the attention cache grows with the length of
        every sequence, which is why modern servers store it in fixed-size blocks, like pages in an operating
        system, and share the blocks between requests that start with the same prompt.

        In 2023, the company reported revenue of $4.2 billion, up 17% from the previous year. Its shares
        closed at 123.45 on March 3rd; analysts expect growth of 8 to 10 percent in 2024 and 2025. The
        meeting is scheduled for 10:30 AM on Monday, June 12, in room 401 of the main building.

        Weather report: cloudy in the morning with a chance of rain in the afternoon. Temperatures will reach
        a high of 21 degrees and fall to 12 degrees overnight. Winds from the north-west at 15 km/h.

        To make the soup, chop two onions, three carrots and a stalk of celery. Heat some oil in a large pot,
        add the vegetables and cook them slowly for ten minutes. Then add a litre of water, a pinch of salt
        and a bay leaf, and let everything simmer for half an hour. Serve it hot with fresh bread.

        public static int Add(int left, int right)
        {
            return left + right;
        }

        def fibonacci(n):
            if n < 2:
                return n
            return fibonacci(n - 1) + fibonacci(n - 2)

        for (var i = 0; i < items.Count; i++) { total += items[i].Price * items[i].Quantity; }

        History teaches us that great changes often begin with small steps. The printing press, the steam
        engine and the telegraph each changed how people lived, worked and talked to one another. Today we
        carry more computing power in our pockets than whole countries had fifty years ago, and we use it to
        send messages, read the news, take pictures of our food and argue with strangers about the weather.

        Questions and answers: What is the capital of France? Paris. How many legs does a spider have? Eight.
        Which planet is closest to the sun? Mercury. Who wrote the play about the prince of Denmark? William
        Shakespeare wrote Hamlet around the year 1600. Why is the sky blue? Because air scatters blue light
        more strongly than red light.

        Dear team, thank you all for your hard work this quarter. We shipped the new release on time, fixed
        more bugs than ever before and welcomed four new colleagues. Let's keep the momentum going next month!
        Best regards, the management.
        """;
}
