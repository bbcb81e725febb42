"""Reading frames and writing annotated videos (numpy + Pillow; PyAV for video files).

Torch-free, like the runtime, so apps and edge boxes can use it.
"""

from dkd_edge.video.overlay import draw_pose
from dkd_edge.video.reader import count_frames, read_frames
from dkd_edge.video.writer import VIDEO_FORMATS, VideoWriter, write_video

__all__ = ["VIDEO_FORMATS", "VideoWriter", "count_frames", "draw_pose", "read_frames",
           "write_video"]
