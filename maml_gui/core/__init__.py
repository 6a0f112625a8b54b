"""Qt-free meta-learning engine: tasks, models, algorithms, training, evaluation, runs on disk."""
