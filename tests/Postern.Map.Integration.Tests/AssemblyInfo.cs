// The labs are real hosts on a 2-core machine: one at a time keeps their timing honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
