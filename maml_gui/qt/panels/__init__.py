"""Side panels of the main window: the experiment form and the training status."""
