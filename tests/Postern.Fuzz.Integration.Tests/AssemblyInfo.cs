// Each run loads both cores of this machine for a while: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
